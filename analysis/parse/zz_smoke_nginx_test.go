package parse
import ("os";"testing";"fmt";"github.com/netsnap/netsnap/analysis/model")
func TestSmokeNginx(t *testing.T) {
	for _, f := range []string{os.Getenv("F")} {
		fh, _ := os.Open(f)
		p := &Problems{File: f}
		NginxErrorLog(fh, nil, p, func(e *model.NginxError) { fmt.Printf("%d %s %s %d#%d *%d kind=%q errno=%d phase=%q\n  msg=%q\n  c=%q s=%q r=%q u=%q h=%q\n", e.Line, e.Time, e.Level, e.PID, e.TID, e.Conn, e.Kind, e.Errno, NginxErrorPhase(e.Message), e.Message, e.Client, e.Server, e.Request, e.Upstream, e.Host) })
		fmt.Print(p.String())
	}
}
