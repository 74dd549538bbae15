staticnet::network! {
    struct Net {
        input: [4],
        dense(10), hardsigmoid(alpha = -0.2),
    }
}

fn main() {}
