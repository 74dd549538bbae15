staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        avgpool2d(3, padding = 2),
    }
}

fn main() {}
