# netfailover.standby: the commands of the README. Every target does its own set-up (tools/setup.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup test sanity units lint demo lab-up lab-down bench docs

help:
	@echo "make demo      set up, bring the lab up and run the collection's main playbook against it"
	@echo "make test      every check: ansible-lint, ansible-test sanity and units, ecosystem (EE, AWX, docs, release), lab tests, Molecule"
	@echo "make lab-up    build the guest image and start the two-hypervisor lab (idempotent)"
	@echo "make lab-down  stop every lab process and remove the lab's namespaces, interfaces and mounts"
	@echo "make docs      the collection's HTML documentation (antsibull-docs, offline): docs/build/html/index.html"
	@echo "make bench     measure outage and wall time against the seed's script in the lab (not in make test; slow)"

setup:
	tools/setup.sh

test: setup
	tools/test.sh all

sanity units lint: setup
	tools/test.sh $@

docs: setup
	tools/docs.sh

lab-up: setup
	tools/lab.sh up

lab-down:
	tools/lab.sh down

demo: setup
	tools/demo.sh

bench: setup
	tools/bench.sh
