staticnet::network! {
    struct Net {
        input: [4],
        dropout(half),
        dense(10),
    }
}

fn main() {}
