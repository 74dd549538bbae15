staticnet::network! {
    struct Net {
        input: [],
        dense(10),
    }
}

fn main() {}
