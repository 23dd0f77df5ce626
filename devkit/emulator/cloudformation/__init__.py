"""CloudFormation on the emulation: the resource types of infra/ that moto lacks."""
