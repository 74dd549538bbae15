staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        conv2d(2, 3, stride = 0),
    }
}

fn main() {}
