staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        maxpool2d(3, padding = 1, count_include_pad = false),
    }
}

fn main() {}
