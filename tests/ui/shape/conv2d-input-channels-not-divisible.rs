staticnet::network! {
    struct Net {
        input: [3, 8, 8],
        conv2d(4, 3, groups = 2),
    }
}

fn main() {}
