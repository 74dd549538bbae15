staticnet::network! {
    struct Net {
        input: [1, 28, 28],
        dense(10),
    }
}

fn main() {}
