// Package fdmsg reads the socket session's messages (doc/sockets.md): one
// JSON object a line on a Unix stream connection, with the descriptors a
// message carries passed alongside it in SCM_RIGHTS. Both ends of a session,
// the client and the server, read them the same way.
//
// It frames and queues only; it must not decode or answer the messages.
package fdmsg

import (
	"bytes"
	"net"

	"golang.org/x/sys/unix"
)

// maxFds is the most descriptors one read takes in.
const maxFds = 16

// Read reads messages from uc until it ends or fails, or (with max above
// 0) a message grows past max bytes. The descriptors that arrive are
// appended to *fds, in order, before the messages they came with are
// handed to each, which takes from *fds the ones its message carries.
// size is the read buffer's length.
func Read(uc *net.UnixConn, size, max int, fds *[]int, each func(line []byte)) {
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*maxFds))
	var line []byte
	for {
		n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
		if oobn > 0 {
			*fds = append(*fds, rights(oob[:oobn])...)
		}
		if n == 0 || err != nil {
			return
		}
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				line = append(line, data...)
				break
			}
			line = append(line, data[:i]...)
			data = data[i+1:]
			each(line)
			line = line[:0]
		}
		if max > 0 && len(line) >= max {
			return // a message without end
		}
	}
}

// rights returns the descriptors of a control message.
func rights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}
