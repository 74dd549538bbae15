staticnet::network! {
    struct Net {
        input: [4],
        dense(10, biass = false),
    }
}

fn main() {}
