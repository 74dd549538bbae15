use staticnet::Network;

staticnet::network! {
    struct Net {
        input: [784],
        dense(10),
    }
}

fn main() {
    let net = Net::new_boxed(0);
    let mut ws = Net::new_workspace();
    let _ = net.forward(&[0.0; 783], &mut ws);
}
