staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        maxpool2d((3, 2), stride = 2, padding = (1, 2)),
    }
}

fn main() {}
