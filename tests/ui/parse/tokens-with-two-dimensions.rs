staticnet::network! {
    struct Net {
        input: tokens[8, 2],
        embedding(10, 4),
    }
}

fn main() {}
