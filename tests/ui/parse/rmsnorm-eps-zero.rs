staticnet::network! {
    struct Net {
        input: [4, 8],
        rmsnorm(eps = 0.0),
    }
}

fn main() {}
