staticnet::network! {
    struct Net {
        input: [2, 4],
        conv1d(2, 7, padding = 1),
    }
}

fn main() {}
