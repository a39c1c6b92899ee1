package analysis

import (
	"bufio"
	"bytes"
	"io"
	"runtime"

	"github.com/netsnap/netsnap/analysis/model"
	"github.com/netsnap/netsnap/analysis/parse"
)

// parseTableParallel parses netsnap's socket table from r on several
// cores: a dispatcher cuts the text into blocks of whole lines, workers
// parse the blocks into sockets, and this goroutine adds them to the
// aggregate in the order of the file (the aggregation depends on it:
// listeners come first). Malformed lines are reported with their line
// numbers in the file, as parse.TCPTable does. A table whose header is not
// version 1 is handed to parse.TCPTable, which says so.
func parseTableParallel(r io.Reader, p *parse.Problems, add func(*model.Socket)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(parse.TCPTableHeader) + 2)
	if bytes.HasPrefix(head, []byte(parse.TCPTableHeader)) && !bytes.HasPrefix(head, []byte(parse.TCPTableHeader+"1 ")) {
		return parse.TCPTable(br, p, add)
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	type result struct {
		socks    []model.Socket
		problems parse.Problems
		err      error
	}
	type job struct {
		block []byte
		res   chan result
	}
	jobs := make(chan job, workers*2)
	order := make(chan job, workers*4)
	blocks := make(chan []byte, workers*4+2) // free block buffers
	socks := make(chan []model.Socket, workers*4+2)
	const blockSize = 128 << 10

	// Workers.
	for range workers {
		go func() {
			for j := range jobs {
				var res result
				select {
				case res.socks = <-socks:
				default:
					res.socks = make([]model.Socket, 0, blockSize/48)
				}
				res.err = parse.TCPTable(bytes.NewReader(j.block), &res.problems, func(s *model.Socket) {
					res.socks = append(res.socks, *s)
				})
				j.res <- res
			}
		}()
	}
	// Dispatcher: blocks of whole lines, in order.
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		var carry []byte
		for {
			var b []byte
			select {
			case b = <-blocks:
			default:
				b = make([]byte, 0, blockSize+4096)
			}
			b = append(b[:0], carry...)
			n, err := io.ReadFull(br, b[len(b):blockSize])
			b = b[:len(b)+n]
			end := len(b)
			if err == nil {
				end = bytes.LastIndexByte(b, '\n') + 1
				if end == 0 { // one line longer than a block: read to its end
					rest, rerr := br.ReadSlice('\n')
					for rerr == bufio.ErrBufferFull {
						b = append(b, rest...)
						rest, rerr = br.ReadSlice('\n')
					}
					b = append(b, rest...)
					end, err = len(b), rerr
				}
			}
			carry = append(carry[:0], b[end:]...)
			if end > 0 {
				j := job{block: b[:end], res: make(chan result, 1)}
				jobs <- j
				order <- j
			}
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	// In order: add the sockets, renumber the problems.
	line := 0
	var firstErr error
	for j := range order {
		res := <-j.res
		for i := range res.socks {
			add(&res.socks[i])
		}
		for _, q := range res.problems.First {
			p.Addf(line+q.Line, "%s", q.Msg)
		}
		if more := res.problems.Count - len(res.problems.First); more > 0 && p != nil {
			p.Count += more
		}
		if res.err != nil && firstErr == nil {
			firstErr = res.err
		}
		line += bytes.Count(j.block, []byte{'\n'})
		select {
		case socks <- res.socks[:0]:
		default:
		}
		select {
		case blocks <- j.block[:0]:
		default:
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	return firstErr
}
