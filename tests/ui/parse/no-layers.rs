staticnet::network! {
    struct Net {
        input: [4],
    }
}

fn main() {}
