staticnet::network! {
    struct Net {
        input: [4, 8, 8],
        conv2d(3, 3, groups = 2),
    }
}

fn main() {}
