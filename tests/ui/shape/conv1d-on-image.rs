staticnet::network! {
    struct Net {
        input: [1, 28, 28],
        conv1d(4, 3),
    }
}

fn main() {}
