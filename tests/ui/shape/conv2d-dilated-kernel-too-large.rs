staticnet::network! {
    struct Net {
        input: [1, 4, 4],
        conv2d(2, 3, dilation = 2),
    }
}

fn main() {}
