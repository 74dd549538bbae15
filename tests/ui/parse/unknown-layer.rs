staticnet::network! {
    struct Net {
        input: [4],
        desne(10),
    }
}

fn main() {}
