package tcpdump

// The filter: tcpdump compiles the expression (tcpdump -ddd), and rtcpdump
// runs the program on each frame with the classic BPF machine below, so
// that the syntax is tcpdump's own and the counts ("packets captured") are
// exact.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// insn is one classic BPF instruction.
type insn struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// program is a checked BPF program: every jump lands inside it and it ends
// in a return, so it runs in at most len(program) steps.
type program []insn

// Classic BPF's parts of an opcode.
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0, 1, 2, 3, 4, 5, 6, 7

	szW, szH, szB                            = 0x00, 0x08, 0x10
	mdIMM, mdABS, mdIND, mdMEM, mdLEN, mdMSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0
	srcX                                     = 0x08
	retA                                     = 0x10
	miscTXA                                  = 0x80
	memWords                                 = 16
	maxInsns                                 = 4096
)

// parseProgram reads tcpdump -ddd's output: a count, then one "code jt jf
// k" line per instruction.
func parseProgram(text string) (program, error) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n < 1 || n > maxInsns || n != len(lines)-1 {
		return nil, fmt.Errorf("bad filter program")
	}
	p := make(program, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		var v [4]uint64
		if len(f) != 4 {
			return nil, fmt.Errorf("bad filter program")
		}
		for j, bits := range []int{16, 8, 8, 32} {
			if v[j], err = strconv.ParseUint(f[j], 10, bits); err != nil {
				return nil, fmt.Errorf("bad filter program")
			}
		}
		p[i] = insn{code: uint16(v[0]), jt: uint8(v[1]), jf: uint8(v[2]), k: uint32(v[3])}
	}
	return p, p.check()
}

// check refuses a program that could jump outside itself, run off its end,
// or touch scratch memory that does not exist.
func (p program) check() error {
	for i, in := range p {
		switch in.code & 7 {
		case clsJMP:
			far := int(max(in.jt, in.jf))
			if in.code&0xf0 == 0 {
				far = int(in.k)
			}
			if i+1+far >= len(p) {
				return fmt.Errorf("bad filter program: jump out of range")
			}
		case clsLD, clsLDX:
			if in.code&0xe0 == mdMEM && in.k >= memWords {
				return fmt.Errorf("bad filter program: scratch out of range")
			}
		case clsST, clsSTX:
			if in.k >= memWords {
				return fmt.Errorf("bad filter program: scratch out of range")
			}
		}
	}
	if p[len(p)-1].code&7 != clsRET {
		return fmt.Errorf("bad filter program: no return at the end")
	}
	return nil
}

// load reads size bytes at off of pkt, big-endian; ok false if they lie
// beyond it.
func load(pkt []byte, off uint32, size uint16) (uint32, bool) {
	var n uint32
	switch size {
	case szW:
		n = 4
	case szH:
		n = 2
	case szB:
		n = 1
	}
	if n == 0 || uint64(off)+uint64(n) > uint64(len(pkt)) {
		return 0, false
	}
	switch n {
	case 4:
		return binary.BigEndian.Uint32(pkt[off:]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(pkt[off:])), true
	}
	return uint32(pkt[off]), true
}

// match runs p on a frame of wireLen bytes of which pkt was captured, and
// reports whether it is accepted.
func (p program) match(pkt []byte, wireLen int) bool {
	var a, x uint32
	var mem [memWords]uint32
	for pc := 0; pc < len(p); pc++ {
		in := p[pc]
		switch in.code & 7 {
		case clsLD, clsLDX:
			v, ok := p.loadValue(in, pkt, wireLen, x, &mem)
			if !ok {
				return false
			}
			if in.code&7 == clsLD {
				a = v
			} else {
				x = v
			}
		case clsST:
			mem[in.k] = a
		case clsSTX:
			mem[in.k] = x
		case clsALU:
			v := in.k
			if in.code&srcX != 0 {
				v = x
			}
			var ok bool
			if a, ok = alu(in.code&0xf0, a, v); !ok {
				return false
			}
		case clsJMP:
			pc += jump(in, a, x)
		case clsRET:
			if in.code&0x18 == retA {
				return a != 0
			}
			return in.k != 0
		case clsMISC:
			if in.code&0xf8 == miscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return false
}

func (program) loadValue(in insn, pkt []byte, wireLen int, x uint32, mem *[memWords]uint32) (uint32, bool) {
	switch in.code & 0xe0 {
	case mdIMM:
		return in.k, true
	case mdABS:
		return load(pkt, in.k, in.code&0x18)
	case mdIND:
		return load(pkt, x+in.k, in.code&0x18)
	case mdMEM:
		return mem[in.k], true
	case mdLEN:
		return uint32(wireLen), true
	case mdMSH:
		b, ok := load(pkt, in.k, szB)
		return (b & 0xf) << 2, ok
	}
	return 0, false
}

func alu(op uint16, a, v uint32) (uint32, bool) {
	switch op {
	case 0x00:
		return a + v, true
	case 0x10:
		return a - v, true
	case 0x20:
		return a * v, true
	case 0x30, 0x90:
		if v == 0 {
			return 0, false
		}
		if op == 0x30 {
			return a / v, true
		}
		return a % v, true
	case 0x40:
		return a | v, true
	case 0x50:
		return a & v, true
	case 0x60:
		return a << (v & 31), true
	case 0x70:
		return a >> (v & 31), true
	case 0x80:
		return -a, true
	case 0xa0:
		return a ^ v, true
	}
	return 0, false
}

// jump returns how many instructions a jump skips.
func jump(in insn, a, x uint32) int {
	v := in.k
	if in.code&srcX != 0 {
		v = x
	}
	var yes bool
	switch in.code & 0xf0 {
	case 0x00:
		return int(in.k)
	case 0x10:
		yes = a == v
	case 0x20:
		yes = a > v
	case 0x30:
		yes = a >= v
	case 0x40:
		yes = a&v != 0
	}
	if yes {
		return int(in.jt)
	}
	return int(in.jf)
}

// compile has tcpdump compile expr for frames of linkType; a syntax error
// comes back as tcpdump's own message.
func compile(tcpdump string, linkType int, expr string) (program, error) {
	dlt := "EN10MB"
	if linkType == 0 {
		dlt = "NULL"
	}
	cmd := exec.Command(tcpdump, "-ddd", "-y", dlt, "--", expr)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		msg = strings.TrimPrefix(msg, "tcpdump: ")
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return parseProgram(out.String())
}
