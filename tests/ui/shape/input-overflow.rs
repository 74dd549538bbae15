staticnet::network! {
    struct Net {
        input: [4294967296, 4294967296],
        flatten,
    }
}

fn main() {}
