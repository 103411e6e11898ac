package bridge

// SetTap has fn called with every frame the bridge forwards (one that came
// in on a member and goes out of at least one other), before it is sent:
// what a capture on the bridge interface sees. nil stops it. fn runs on the
// member's receive goroutine; it must neither keep frame nor block. While
// no tap is set a frame costs one atomic load.
func (b *Bridge) SetTap(fn func(frame []byte)) {
	if fn == nil {
		b.tap.Store(nil)
		return
	}
	b.tap.Store(&fn)
}

// tapForwarded gives frame to the tap if the bridge forwards it.
func (b *Bridge) tapForwarded(frame []byte, sends []*port) {
	if fn := b.tap.Load(); fn != nil && len(sends) > 0 {
		(*fn)(frame)
	}
}
