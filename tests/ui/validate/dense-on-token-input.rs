staticnet::network! {
    struct Net {
        input: tokens[8],
        dense(4),
    }
}

fn main() {}
