staticnet::network! {
    struct Net {
        input: [4],
        dense(10), relu(3),
    }
}

fn main() {}
