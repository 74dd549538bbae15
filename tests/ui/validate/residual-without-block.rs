staticnet::network! {
    struct Net {
        input: [16, 64],
        residual,
        layernorm,
    }
}

fn main() {}
