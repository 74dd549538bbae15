staticnet::network! {
    struct Net {
        input: [4],
        dense,
    }
}

fn main() {}
