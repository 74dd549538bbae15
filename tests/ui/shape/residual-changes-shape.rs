staticnet::network! {
    struct Net {
        input: [16, 64],
        residual { layernorm, dense(128), gelu },
        mean_pool,
        dense(10),
    }
}

fn main() {}
