staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        conv2d(0, 3),
    }
}

fn main() {}
