staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        conv2d(2, (1, 2, 3)),
    }
}

fn main() {}
