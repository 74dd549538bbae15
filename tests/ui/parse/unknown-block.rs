staticnet::network! {
    struct Net {
        input: [16, 64],
        parallel { layernorm },
    }
}

fn main() {}
