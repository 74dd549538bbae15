staticnet::network! {
    struct Net {
        input: [16, 30],
        multihead_attention(4),
    }
}

fn main() {}
