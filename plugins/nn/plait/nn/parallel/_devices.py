"""Device ids as torch.nn.parallel takes them: an int is a device of the current accelerator (-1: the CPU,
as an output device), ``'cuda:1'`` or a plait.device is itself."""
import plait


def as_device(dev):
    if isinstance(dev, int) and not isinstance(dev, bool):
        if dev == -1:
            return plait.device("cpu")
        accelerator = plait.accelerator.current_accelerator(check_available=True)
        if accelerator is None:
            raise RuntimeError("device type could not be determined")
        return plait.device(accelerator.type, dev)
    return plait.device(dev)
