"""The Python peer for bench/real: pyvelociraptor's own gRPC stubs (api_pb2, api_pb2_grpc, as its
client_example does), the same request as `megaraptor vql` (max_row 1000, max_wait 1), each batch
decoded with json.loads and written as JSON lines (json.dumps per row) to stdout. Prints the row
count to stderr as JSON at the end. Modes:
  rows  QUERY   stream one query (the 1M-row read)
  calls QUERY N run the query N times on one channel, print per-call latencies (the MCP-read peer)
"""
import json
import sys
import time

import grpc
import yaml
from pyvelociraptor import api_pb2, api_pb2_grpc


def channel(config_path):
    with open(config_path) as f:
        config = yaml.safe_load(f)
    creds = grpc.ssl_channel_credentials(
        root_certificates=config["ca_certificate"].encode("utf8"),
        private_key=config["client_private_key"].encode("utf8"),
        certificate_chain=config["client_cert"].encode("utf8"),
    )
    options = (("grpc.ssl_target_name_override", "VelociraptorServer"),
               ("grpc.max_receive_message_length", 100 * 1024 * 1024))
    return grpc.secure_channel(config["api_connection_string"], creds, options)


def request(query):
    return api_pb2.VQLCollectorArgs(
        max_wait=1, max_row=1000, Query=[api_pb2.VQLRequest(Name="py-peer", VQL=query)])


def stream(stub, query, out):
    rows = 0
    for response in stub.Query(request(query)):
        if response.Response:
            for row in json.loads(response.Response):
                out.write(json.dumps(row))
                out.write("\n")
                rows += 1
    return rows


def main():
    config_path, mode, query = sys.argv[1], sys.argv[2], sys.argv[3]
    with channel(config_path) as ch:
        stub = api_pb2_grpc.APIStub(ch)
        if mode == "rows":
            rows = stream(stub, query, sys.stdout)
            sys.stdout.flush()
            sys.stderr.write(json.dumps({"rows": rows}) + "\n")
        else:
            n = int(sys.argv[4])
            times = []
            for _ in range(n):
                t = time.perf_counter()
                rows = []
                for response in stub.Query(request(query)):
                    if response.Response:
                        rows.extend(json.loads(response.Response))
                json.dumps({"rows": rows})
                times.append((time.perf_counter() - t) * 1000)
            sys.stderr.write(json.dumps({"ms": times}) + "\n")


if __name__ == "__main__":
    main()
