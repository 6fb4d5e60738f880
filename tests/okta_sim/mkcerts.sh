#!/bin/sh
# mkcerts.sh DIR: a throwaway test CA and a server certificate for
# 127.0.0.1/localhost signed by it, for the simulated Okta org.  Nothing
# here is secret: the keys live only in the test's scratch directory.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=idwatch test CA" > /dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/CN=127.0.0.1" > /dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -extfile ext.cnf > /dev/null 2>&1
echo "$d"
