staticnet::network! {
    struct Net {
        input: [4],
        dense(10), leaky_relu,
    }
}

fn main() {}
