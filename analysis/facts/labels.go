package facts

import (
	"net/netip"
	"strconv"
)

// wellKnown names the services proxies and their hosts usually talk to.
var wellKnown = map[uint16]string{
	22: "ssh", 25: "smtp", 53: "dns", 80: "http", 443: "https", 389: "ldap", 636: "ldaps",
	1433: "mssql", 1521: "oracle", 2181: "zookeeper", 2379: "etcd", 3000: "http-alt", 3306: "mysql",
	4222: "nats", 5432: "postgres", 5672: "rabbitmq", 6379: "redis", 6443: "kubernetes-api",
	7000: "cassandra", 8080: "http-alt", 8443: "https-alt", 8500: "consul", 8888: "http-alt",
	9000: "php-fpm", 9042: "cassandra", 9090: "prometheus", 9092: "kafka", 9093: "kafka", 9200: "elasticsearch",
	9300: "elasticsearch", 10250: "kubelet", 11211: "memcached", 15672: "rabbitmq-admin", 27017: "mongodb",
}

// Label names a service endpoint for people: a well-known port name, else
// "port N". An incoming service is a port of this host.
func Label(ep netip.AddrPort, incoming bool) string {
	name, ok := wellKnown[ep.Port()]
	if !ok {
		name = "port " + strconv.Itoa(int(ep.Port()))
	}
	if incoming {
		return name + " (this host)"
	}
	return name
}

// label prefers the name the caller gave an endpoint (an nginx upstream) to Label.
func (c *computer) label(ep netip.AddrPort, incoming bool) string {
	if name, ok := c.labels[ep]; ok {
		return name
	}
	return Label(ep, incoming)
}
