//! The stand-alone page's entry point (built by Trunk).

fn main() {
    vision_chat::mount_into_page();
}
