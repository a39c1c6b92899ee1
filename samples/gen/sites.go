package main

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// nodeIPs are the 80 EC2 instances (Kubernetes nodes) that every upstream
// of sites-enabled/neo lists, in the order the file lists them.
var nodeIPs = func() []netip.Addr {
	block := siteNeo[strings.Index(siteNeo, "upstream neo {"):]
	block = block[:strings.Index(block, "\n}")]
	var out []netip.Addr
	for _, m := range regexp.MustCompile(`(?m)^\s+server (172\.[0-9.]+):32426;`).FindAllStringSubmatch(block, -1) {
		out = append(out, netip.MustParseAddr(m[1]))
	}
	if len(out) != 80 {
		panic(fmt.Sprintf("sites-enabled/neo: %d servers in upstream neo, want 80", len(out)))
	}
	return out
}()

// The NodePorts of the Kubernetes services behind the proxy (seed 000's
// tables at its end): neo, neo-cc, neo-extra and neo-pay from
// sites-enabled/neo, the other three from the sites reconstructed below.
const (
	portNeo      = 32426
	portNeoCC    = 30720
	portNeoExtra = 30966
	portNeoPay   = 30217
	portHomepage = 31889
	portOps      = 32206
	portLink     = 32720
	portKafka    = 9092
)

// upstreamPorts are all seven NodePorts, in the order the seed's
// port-usage tables list them.
var upstreamPorts = []uint16{portNeoPay, portNeoCC, portNeoExtra, portHomepage, portOps, portNeo, portLink}

// reconstructedSite writes one of the three sites-enabled files seed 000
// only summarises (upstream name, NodePort, the ELB that used to serve it):
// the same 80 nodes and the same Tengine check line as the upstreams of
// sites-enabled/neo, the ELB kept as a comment as neo does, and a plain
// server block proxying to it. The server_name is invented.
func reconstructedSite(upstream string, port uint16, lb, elb, serverName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reconstructed for the netsnap samples from the upstream table of seed 000\n")
	fmt.Fprintf(&b, "# (upstream %s, NodePort %d, %s); server_name is invented.\n", upstream, port, lb)
	fmt.Fprintf(&b, "upstream %s {\n", upstream)
	fmt.Fprintf(&b, "    # dynamic_resolve fallback=stale fail_timeout=30s;\n")
	fmt.Fprintf(&b, "    # prod0_n1a %s\n", lb)
	fmt.Fprintf(&b, "    # server %s:80;\n\n", elb)
	for _, ip := range nodeIPs {
		fmt.Fprintf(&b, "    server %s:%d;\n", ip, port)
	}
	b.WriteString("    check interval=30000 fall=3 rise=2 timeout=1000 default_down=false type=tcp;\n}\n\n")
	fmt.Fprintf(&b, `server {
    listen 80;
    server_name %s;

    client_max_body_size 5m;
    keepalive_timeout 10;
    proxy_http_version 1.1;
    server_tokens off;

    location / {
        proxy_pass http://%s;

        proxy_set_header X-Real-IP $http_x_forwarded_for;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Host $http_host;
        proxy_redirect off;

        proxy_connect_timeout 10s;
    }
}
`, serverName, upstream)
	return b.String()
}

// sites are the files of /usr/local/nginx/conf/sites-enabled.
func sites() map[string]string {
	return map[string]string{
		"neo": siteNeo,
		"neo_ops": reconstructedSite("neo-ops", portOps, "neo-prod-opsapi-lb",
			"internal-a6146bc402bbc11e7b48102ab8baa063-1889674119.cn-north-1.elb.amazonaws.com.cn", "apineo-ops.llsapp.com"),
		"homepage_api": reconstructedSite("homepage-api", portHomepage, "homepage-prod-api-lb",
			"internal-a9cc0c476dfc611e6b48102ab8baa063-899340309.cn-north-1.elb.amazonaws.com.cn", "homepage-api.llsapp.com"),
		"link_agent_web": reconstructedSite("link-agent-web", portLink, "linkagent-prod-web-lb",
			"internal-aa4e8d7a071db11e7b48102ab8baa063-61910742.cn-north-1.elb.amazonaws.com.cn", "linkagent.llsapp.com"),
	}
}

// mimeTypes is the mime.types nginx.conf includes: a short one of our own
// (the seed does not print it).
const mimeTypes = `types {
    text/html                             html htm shtml;
    text/css                              css;
    text/xml                              xml;
    text/plain                            txt;
    image/gif                             gif;
    image/jpeg                            jpeg jpg;
    image/png                             png;
    image/x-icon                          ico;
    image/svg+xml                         svg svgz;
    application/javascript                js;
    application/json                      json;
    application/atom+xml                  atom;
    application/rss+xml                   rss;
    application/pdf                       pdf;
    application/zip                       zip;
    application/octet-stream              bin exe dll;
    audio/mpeg                            mp3;
    video/mp4                             mp4;
}
`
