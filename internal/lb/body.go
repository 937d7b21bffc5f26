package lb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// stream is one direction of a body transfer. Before each read that would block it
// flushes what was copied so far (so bodies stream, never wholly buffered) and
// extends both connections' deadlines by the idle timeout.
type stream struct {
	src, dst net.Conn
	idle     time.Duration
}

func (s *stream) wait(dst *bufio.Writer) error {
	now := time.Now()
	s.src.SetReadDeadline(now.Add(s.idle))
	if dst.Buffered() > 0 {
		s.dst.SetWriteDeadline(now.Add(s.idle))
		return dst.Flush()
	}
	return nil
}

var errBadChunk = errors.New("malformed chunked encoding")

// copyBody copies a body framed as in (bodyFixed with n bytes, bodyChunked or bodyEOF)
// from src to dst, as chunked encoding when outChunked and as raw bytes otherwise.
// rerr reports a failure of the source, werr one of the destination.
func copyBody(dst *bufio.Writer, src *bufio.Reader, in int, n int64, outChunked bool, s *stream) (rerr, werr error) {
	switch in {
	case bodyFixed:
		rerr, werr = copyRaw(dst, src, n, outChunked, s)
	case bodyEOF:
		rerr, werr = copyRaw(dst, src, -1, outChunked, s)
	case bodyChunked:
		return copyChunked(dst, src, outChunked, s)
	default:
		return nil, nil
	}
	if rerr == nil && werr == nil && outChunked {
		_, werr = dst.WriteString("0\r\n\r\n")
	}
	return rerr, werr
}

// copyRaw copies n bytes (all until EOF when n < 0), framing each piece as a chunk
// when chunked.
func copyRaw(dst *bufio.Writer, src *bufio.Reader, n int64, chunked bool, s *stream) (rerr, werr error) {
	for n != 0 {
		if src.Buffered() == 0 {
			if werr = s.wait(dst); werr != nil {
				return nil, werr
			}
			if _, err := src.Peek(1); err != nil {
				if n < 0 && err == io.EOF {
					return nil, nil
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err, nil
			}
		}
		k := src.Buffered()
		if n >= 0 && int64(k) > n {
			k = int(n)
		}
		p, _ := src.Peek(k)
		if chunked {
			writeChunkSize(dst, k)
		}
		if _, werr = dst.Write(p); werr != nil {
			return nil, werr
		}
		if chunked {
			dst.WriteString("\r\n")
		}
		src.Discard(k)
		if n > 0 {
			n -= int64(k)
		}
	}
	return nil, nil
}

func writeChunkSize(w *bufio.Writer, n int) {
	const digits = "0123456789abcdef"
	shift := 0
	for (n >> shift) >= 16 {
		shift += 4
	}
	for ; shift >= 0; shift -= 4 {
		w.WriteByte(digits[(n>>shift)&0xf])
	}
	w.WriteString("\r\n")
}

// readLine reads one line of a chunked body (a size line, a CRLF or a trailer).
func readLine(src *bufio.Reader, dst *bufio.Writer, s *stream) (line []byte, rerr, werr error) {
	if src.Buffered() == 0 {
		if werr = s.wait(dst); werr != nil {
			return nil, nil, werr
		}
	}
	line, err := src.ReadSlice('\n')
	if err != nil {
		if err == io.EOF || err == bufio.ErrBufferFull {
			err = fmt.Errorf("%w: %v", errBadChunk, err)
		}
		return nil, err, nil
	}
	return line, nil, nil
}

// copyChunked decodes a chunked body from src and writes it to dst, chunked (with
// its trailers) or raw.
func copyChunked(dst *bufio.Writer, src *bufio.Reader, outChunked bool, s *stream) (rerr, werr error) {
	for {
		line, rerr, werr := readLine(src, dst, s)
		if rerr != nil || werr != nil {
			return rerr, werr
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return errBadChunk, nil
		}
		if size == 0 {
			break
		}
		if rerr, werr = copyRaw(dst, src, size, outChunked, s); rerr != nil || werr != nil {
			return rerr, werr
		}
		line, rerr, werr = readLine(src, dst, s)
		if rerr != nil || werr != nil {
			return rerr, werr
		}
		if len(trimCRLF(line)) != 0 {
			return errBadChunk, nil
		}
	}
	if outChunked {
		dst.WriteString("0\r\n")
	}
	for {
		line, rerr, werr := readLine(src, dst, s)
		if rerr != nil || werr != nil {
			return rerr, werr
		}
		if len(trimCRLF(line)) == 0 {
			break
		}
		if outChunked {
			dst.Write(line)
		}
	}
	if outChunked {
		_, werr = dst.WriteString("\r\n")
	}
	return nil, werr
}

func trimCRLF(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// parseChunkSize parses "hex[;ext]CRLF".
func parseChunkSize(line []byte) (int64, bool) {
	line = trimCRLF(line)
	if i := indexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = trimOWS(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range line {
		if !ishex(c) {
			return 0, false
		}
		n = n<<4 | int64(unhex(c))
	}
	return n, true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// isReset reports whether err is a connection reset or broken pipe.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

var tunnelBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// tunnel relays bytes both ways between an upgraded client connection and its target
// until both directions end, the connection is idle for the idle timeout, or either
// side fails. Bytes already buffered on either side go first.
func tunnel(client net.Conn, cbr *bufio.Reader, up net.Conn, ubr *bufio.Reader, idle time.Duration) {
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(client, up, ubr, idle, &last)
	}()
	pipe(up, client, cbr, idle, &last)
	<-done
}

// pipe copies src (through its buffered reader) to dst.
func pipe(dst, src net.Conn, br *bufio.Reader, idle time.Duration, last *atomic.Int64) {
	bp := tunnelBufs.Get().(*[]byte)
	defer tunnelBufs.Put(bp)
	buf := *bp
	for {
		src.SetReadDeadline(time.Now().Add(idle))
		n, err := br.Read(buf)
		if n > 0 {
			last.Store(time.Now().UnixNano())
			dst.SetWriteDeadline(time.Now().Add(idle))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				dst.Close()
				return
			}
		}
		if err != nil {
			if isTimeout(err) && time.Now().UnixNano()-last.Load() < int64(idle) {
				continue // the other direction is active
			}
			if err == io.EOF {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
					return
				}
			}
			src.Close()
			dst.Close()
			return
		}
	}
}
