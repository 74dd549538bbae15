staticnet::network! {
    struct Net {
        input: [4],
        dense(10), leaky_relu(-0.1),
    }
}

fn main() {}
