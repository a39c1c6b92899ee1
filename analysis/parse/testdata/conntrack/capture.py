# Creates conntrack entries over ctnetlink in a throwaway network namespace
# and prints /proc/net/nf_conntrack: run as root with
#   unshare -n python3 capture.py > nf_conntrack-6.18
import socket, struct, sys
NLA_F_NESTED=0x8000
def attr(t, data): 
    l=4+len(data); return struct.pack('=HH', l, t)+data+b'\0'*((4-l%4)%4)
def nest(t, *a): return attr(t|NLA_F_NESTED, b''.join(a))
def ip4(s): return socket.inet_pton(socket.AF_INET, s)
def ip6(s): return socket.inet_pton(socket.AF_INET6, s)
def tuple_(t, fam, src, dst, proto, sport=None, dport=None, icmp=None):
    if fam==socket.AF_INET: ipa=nest(1, attr(1, ip4(src)), attr(2, ip4(dst)))
    else: ipa=nest(1, attr(3, ip6(src)), attr(4, ip6(dst)))
    pa=[attr(1, struct.pack('B', proto))]
    if sport is not None: pa+= [attr(2, struct.pack('>H', sport)), attr(3, struct.pack('>H', dport))]
    if icmp is not None:
        base = 4 if fam==socket.AF_INET else 7
        pa+= [attr(base, struct.pack('>H', icmp[2])), attr(base+1, struct.pack('B', icmp[0])), attr(base+2, struct.pack('B', icmp[1]))]
    return nest(t, ipa, nest(2, *pa))
s=socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
seq=[0]
def new(fam, orig, reply, timeout, status=6, tcpstate=None, zone=None, mark=None):
    a=tuple_(1, fam, *orig)+tuple_(2, fam, *reply)+attr(7, struct.pack('>I', timeout))+attr(3, struct.pack('>I', status|8))
    if tcpstate is not None: a+=nest(4, nest(1, attr(1, struct.pack('B', tcpstate))))
    if zone is not None: a+=attr(18, struct.pack('>H', zone))
    if mark is not None: a+=attr(8, struct.pack('>I', mark))
    seq[0]+=1
    body=struct.pack('BBH', fam, 0, 0)+a
    msg=struct.pack('=IHHII', 16+len(body), 0x100, 1|4|0x400|0x200, seq[0], 0)+body
    s.send(msg)
    r=s.recv(65536)
    err=struct.unpack('=i', r[16:20])[0]
    if err: print('error', err, orig, file=sys.stderr)
A=socket.AF_INET; B=socket.AF_INET6
new(A, ('10.0.2.15','172.31.2.205',6,40000,9092), ('172.31.2.205','10.0.2.15',6,9092,40000), 117, tcpstate=7)
new(A, ('10.0.2.15','172.31.2.206',6,40001,9092), ('172.31.2.206','10.0.2.15',6,9092,40001), 431999, tcpstate=3)
new(A, ('10.0.2.15','10.0.9.9',6,40002,80), ('10.0.9.9','10.0.2.15',6,80,40002), 119, status=0, tcpstate=1)
new(A, ('10.0.2.15','10.0.3.3',6,40003,5432), ('10.0.3.3','10.0.2.15',6,5432,40003), 60, tcpstate=5, mark=42)
new(A, ('10.0.2.15','10.0.0.2',17,53000,53), ('10.0.0.2','10.0.2.15',17,53,53000), 27, status=0)
new(A, ('10.0.2.15','10.0.0.123',17,123,123), ('10.0.0.123','10.0.2.15',17,123,123), 175, zone=3)
new(A, ('10.0.2.15','10.0.0.1',1,None,None,(8,0,4711)), ('10.0.0.1','10.0.2.15',1,None,None,(0,0,4711)), 29, status=2)
new(B, ('2001:db8::1','2001:db8::2',6,51000,443), ('2001:db8::2','2001:db8::1',6,443,51000), 65, tcpstate=7)
new(B, ('fe80::202:b3ff:fe1e:8329','ff02::1',58,None,None,(128,0,77)), ('ff02::1','fe80::202:b3ff:fe1e:8329',58,None,None,(129,0,77)), 29, status=0)
new(B, ('::ffff:10.0.0.1','2001:db8:0:1::abcd',17,5353,5353), ('2001:db8:0:1::abcd','::ffff:10.0.0.1',17,5353,5353), 30)
sys.stdout.write(open('/proc/net/nf_conntrack').read())
