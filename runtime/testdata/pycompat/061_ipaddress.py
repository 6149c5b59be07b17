# ipaddress.
import ipaddress as ip
a = ip.ip_address("192.168.1.10")
print(a, a.version, a.is_private, a.is_global, int(a), a + 5, a.reverse_pointer, ip.ip_address(3232235786))
net = ip.ip_network("10.0.0.0/29")
print(net, net.num_addresses, net.netmask, net.broadcast_address, list(net.hosts())[:3], ip.ip_address("10.0.0.3") in net)
print(list(net.subnets(new_prefix=30)), net.supernet(new_prefix=24), ip.ip_network("10.0.0.5/29", strict=False))
v6 = ip.ip_address("2001:db8::1")
print(v6, v6.exploded, v6.compressed, v6.version, v6.is_private, ip.ip_address("::ffff:1.2.3.4").ipv4_mapped, ip.ip_address("::1").is_loopback)
iface = ip.ip_interface("192.168.0.5/24")
print(iface.network, iface.ip, iface.with_prefixlen, iface.with_netmask)
print(list(ip.collapse_addresses([ip.ip_network("10.0.0.0/25"), ip.ip_network("10.0.0.128/25")])), list(ip.summarize_address_range(ip.ip_address("10.0.0.0"), ip.ip_address("10.0.0.10"))))
print(sorted([ip.ip_address("10.0.0.2"), ip.ip_address("9.255.255.255"), ip.ip_address("10.0.0.10")]), ip.ip_address("127.0.0.1").is_loopback, ip.ip_address("169.254.1.1").is_link_local)
for bad in ["256.1.1.1", "1.2.3", "10.0.0.1/33", "::g"]:
    try:
        ip.ip_network(bad) if "/" in bad else ip.ip_address(bad)
    except ValueError as e:
        print("ValueError:", e)
