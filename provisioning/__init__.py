"""Ansible provisioning of scan stations, driven from Python."""
