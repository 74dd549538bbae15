staticnet::network! {
    struct Net {
        input: [1, 2, 6],
        avgpool2d(5, padding = 1, count_include_pad = false),
    }
}

fn main() {}
