staticnet::network! {
    struct Net {
        input: [4],
        batchnorm(momentum = 1.5),
    }
}

fn main() {}
