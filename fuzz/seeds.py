#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/ (small valid examples and near
misses) from the protocol test vectors of docs/protocol.md §9 (Part A).
Run from anywhere: python3 fuzz/seeds.py. Regression inputs that the fuzzers
found are kept in the same directories under names starting 'regress-'; this
script never touches them."""
import json, os, re

ROOT = os.path.dirname(os.path.abspath(__file__))
doc = open(os.path.join(ROOT, '..', 'docs', 'protocol.md')).read()
V = dict(re.findall(r'^A\.([\w.]+) = (\S+)$', doc, re.M))
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
G = ('0432c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7'
     'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0')


def write(target, name, data):
    d = os.path.join(ROOT, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(',', ':'), sort_keys=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def b32(v):
    return v.to_bytes(32, 'big')


def proof(name):
    return {'t': V[name + '.T'], 'z': V[name + '.z']}


# scalar: raw bytes and hex around n.
for name, v in [('zero', 0), ('one', 1), ('n_minus_1', N - 1), ('n', N), ('max', 2**256 - 1)]:
    write('scalar', name, b32(v))
    write('scalar', 'hex_' + name, b32(v).hex())
write('scalar', 'hex_upper', V['d1'].upper())
write('scalar', 'wide64', b32(N - 5) + b32(7))
write('scalar', 'odd_hex', 'abc')

# point: SEC1 bytes and hex.
g = bytes.fromhex(G)
gx, gy = int(G[2:66], 16), int(G[66:], 16)
write('point', 'generator', g)
write('point', 'generator_hex', G)
write('point', 'p_hex_upper', V['P'].upper())
write('point', 'minus_generator', b'\x04' + b32(gx) + b32(P - gy))
write('point', 'not_on_curve', b'\x04' + b32(gx) + b32(gy ^ 1))
write('point', 'x_ge_p', b'\x04' + b32(gx + P if gx + P < 2**256 else P) + b32(gy))
write('point', 'compressed', b'\x02' + b32(gx))
write('point', 'infinity', b'\x00')

# wire messages (docs/protocol.md §2).
keygen_request = {'p1': V['P1'], 'proof': proof('keygen_device_proof')}
keygen_response = {'proof': proof('keygen_service_proof'), 'public_key': V['P']}
sign_request = {'proof': proof('sign_device_proof_1'), 'q1': V['Q1_1']}
sign_request_2 = {'proof': proof('sign_device_proof_2'), 'q1': V['Q1_2']}
sign_response = {'r': V['r_1'], 's2': V['s2_1'], 's3': V['s3_1']}
sign_finish = {'s': V['s_1']}
refresh_request = {'proof': proof('refresh_device_proof'), 'rho': V['rho']}
refresh_response = {'proof': proof('refresh_service_proof')}
refresh_confirm = {'proof': proof('refresh_confirm_proof')}
session = {'items': [sign_request, sign_request_2], 'pin_proof': proof('pin_proof')}
messages = {
    'keygen_request': keygen_request, 'keygen_response': keygen_response, 'sign_request': sign_request,
    'sign_response': sign_response, 'sign_finish': sign_finish, 'refresh_request': refresh_request,
    'refresh_response': refresh_response, 'refresh_confirm': refresh_confirm, 'sign_session_request': session,
}
for name, m in messages.items():
    write('wire', name, m)
write('wire', 'sign_session_request_v1', {'items': [sign_request, sign_request]})
write('wire', 'sign_session_request_empty', {'items': [], 'pin_proof': proof('pin_proof')})
write('wire', 'sign_response_upper', {k: v.upper() for k, v in sign_response.items()})
write('wire', 'sign_finish_zero', {'s': '00' * 32})
write('wire', 'sign_finish_n', {'s': b32(N).hex()})
write('wire', 'keygen_request_extra', dict(keygen_request, extra=[1, 2, {'x': None}]))
write('wire', 'keygen_request_bad_point', dict(keygen_request, p1=V['P1'][:-2] + '00'))
write('wire', 'sign_request_short', dict(sign_request, q1=V['Q1_1'][:-2]))

# json_fields: every reader on one object.
write('json_fields', 'mixed', {'p': V['P'], 'z': V['d1'], 'zero': '00' * 32, 'proof': proof('pin_proof'),
                               'n': 1, 'a': [], 'upper': V['Q1_1'].upper(), 's': 'text'})
write('json_fields', 'not_object', '[1,2,3]')

# device state (docs/protocol.md §6).
state = {'holder_id': V['holder_id'], 'kdf': {'alg': 'pbkdf2-hmac-sm3', 'iterations': int(V['pin_iterations']),
                                                'salt': V['pin_salt']},
         'public_key': V['P'], 'share': V['d1_wrapped'], 'v': 1}
write('device_state', 'vector', state)
write('device_state', 'version2', dict(state, v=2))
write('device_state', 'few_iterations', dict(state, kdf=dict(state['kdf'], iterations=999)))
write('device_state', 'short_salt', dict(state, kdf=dict(state['kdf'], salt='0001')))
write('device_state', 'zero_share', dict(state, share='00' * 32))

# service key share: v1 JSON and v2 binary (0x02 ‖ d2 ‖ P1 ‖ P).
write('service_share', 'v1_json', {'d2': V['d2'], 'public_key': V['P'], 'v': 1})
write('service_share', 'v2_binary', b'\x02' + bytes.fromhex(V['d2']) + bytes.fromhex(V['P1']) + bytes.fromhex(V['P']))
write('service_share', 'v2_zero_d2', b'\x02' + b32(0) + bytes.fromhex(V['P1']) + bytes.fromhex(V['P']))
write('service_share', 'v3_json', {'d2': V['d2'], 'public_key': V['P'], 'v': 3})

# holder SDK record (client/holder_client.cc) and service error answers.
state_json = json.dumps(state, separators=(',', ':'), sort_keys=True)
write('holder_state', 'plain', state_json)
write('holder_state', 'pending_refresh', '{"v":2,"pending_refresh":"ref_0001","state":' + state_json + '}')
write('holder_state', 'pending_bad_id', '{"v":2,"pending_refresh":"ref 1","state":' + state_json + '}')
write('holder_state', 'pending_no_state', '{"v":2,"pending_refresh":"ref_0001","state":}')
write('holder_state', 'error_pin_invalid', {'error': {'code': 'pin_invalid', 'message': 'wrong PIN', 'attempts_left': 4}})
write('holder_state', 'error_unknown', {'error': {'code': 'teapot', 'attempts_left': -7}})

# Holder API bodies (docs/api/openapi.yaml, /app/v1).
write('holder_body', 'activation', {'code': 'ACT-1234', 'keygen': keygen_request})
write('holder_body', 'activation_otp', {'code': 'ACT-1234', 'keygen': keygen_request, 'otp': '123456'})
write('holder_body', 'session', dict(session, session_id='ses_1'))
write('holder_body', 'session_v1', {'session_id': 'ses_1', 'items': [sign_request]})
write('holder_body', 'finish', {'items': [sign_finish, sign_finish]})
write('holder_body', 'refresh', {'refresh_id': 'ref_1', 'request': refresh_request})
write('holder_body', 'confirm', {'confirm': refresh_confirm})

# Business API request fields (FuzzedDataProvider layout of request_auth.cc):
# method, path, query, then integral choices read from the end.
for name, head in [('get_orders', 'GET\\n/api/v1/orders\\nlimit=10\\n'),
                   ('post_orders', 'POST\\n/api/v1/orders\\n\\nnonce-12345678\\nidem-1\\nsig\\n{"x":1}')]:
    write('request_auth', name, head.encode() + bytes([0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]))
