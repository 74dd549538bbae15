staticnet::network! {
    struct Net {
        input: [4],
        dense(8), relu,
        dropout(0.5),
    }
}

fn main() {}
