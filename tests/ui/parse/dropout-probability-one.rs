staticnet::network! {
    struct Net {
        input: [4],
        dropout(1.0),
        dense(10),
    }
}

fn main() {}
