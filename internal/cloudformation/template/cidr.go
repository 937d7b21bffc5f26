package template

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

const cidrError = "Fn::Cidr requires a list argument with three elements: an ipBlock, a count and cidrBits"

// cidr evaluates Fn::Cidr [ipBlock, count, cidrBits]: count consecutive subnets of
// the block, each with cidrBits host bits (a /24 for 8 bits of IPv4), starting at
// the block's network address, as AWS computes them.
func (e *evaluator) cidr(n, a *node) (any, error) {
	if a == nil || a.kind != kindList || len(a.items) != 3 {
		return nil, templateError(n, cidrError)
	}
	block, err := e.evalString(a.items[0], n, cidrError)
	if err != nil {
		return nil, err
	}
	countText, err := e.evalString(a.items[1], n, cidrError)
	if err != nil {
		return nil, err
	}
	bitsText, err := e.evalString(a.items[2], n, cidrError)
	if err != nil {
		return nil, err
	}
	prefix, err := netip.ParsePrefix(strings.TrimSpace(block))
	if err != nil {
		return nil, templateError(n, "Fn::Cidr ipBlock %s is not a valid CIDR block", block)
	}
	count, err := strconv.Atoi(strings.TrimSpace(countText))
	if err != nil || count < 1 || count > 256 {
		return nil, templateError(n, "Fn::Cidr count must be a number between 1 and 256")
	}
	size := prefix.Addr().BitLen()
	hostBits, err := strconv.Atoi(strings.TrimSpace(bitsText))
	if err != nil || hostBits < 0 || hostBits > size {
		return nil, templateError(n, "Fn::Cidr cidrBits must be a number between 0 and %d", size)
	}
	newLen := size - hostBits
	if newLen < prefix.Bits() {
		return nil, templateError(n, "Fn::Cidr cidrBits %d is too large for the ipBlock %s", hostBits, block)
	}
	if avail := newLen - prefix.Bits(); avail < 9 && count > 1<<avail {
		return nil, templateError(n, "Fn::Cidr cannot make %d subnets with %d cidrBits of the ipBlock %s", count, hostBits, block)
	}
	base := prefix.Masked().Addr()
	if base.Is4In6() {
		base = base.Unmap()
	}
	hi, lo := addrInts(base)
	out := make([]any, count)
	for i := 0; i < count; i++ {
		addr := intsAddr(hi, lo, base.Is4())
		out[i] = netip.PrefixFrom(addr, newLen).String()
		hi, lo = add128(hi, lo, hostBits)
	}
	return out, nil
}

// addrInts is an address as a 128-bit integer (high and low halves); an IPv4
// address is in the low 32 bits.
func addrInts(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		b := a.As4()
		return 0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	}
	b := a.As16()
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}

func intsAddr(hi, lo uint64, v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte{byte(lo >> 24), byte(lo >> 16), byte(lo >> 8), byte(lo)})
	}
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i], b[8+i] = byte(hi), byte(lo)
		hi, lo = hi>>8, lo>>8
	}
	return netip.AddrFrom16(b)
}

// add128 adds 2^shift to a 128-bit integer.
func add128(hi, lo uint64, shift int) (uint64, uint64) {
	if shift >= 128 {
		return hi, lo
	}
	if shift >= 64 {
		return hi + 1<<(shift-64), lo
	}
	lo, carry := bits.Add64(lo, 1<<shift, 0)
	return hi + carry, lo
}
